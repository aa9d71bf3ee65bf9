"""Polskie zdania API, według klucza komunikatu. Słownictwo jak w artykule pomocy (Panel Administracyjny,
Urządzenia POS, paragony, Zmiana, dezaktywacja). Liczba mnoga: {n:plural:jeden|kilka|wiele}."""

MESSAGES = {
    # ------------------------------------------------------------ błędy
    "BAD_REQUEST": "Nie można przetworzyć żądania.",
    "VALIDATION_ERROR": "Nieprawidłowe dane.",
    "REQUIRED": "To pole jest wymagane.",
    "UNKNOWN_FIELD": "Nieznane pole; usuń je.",
    "MALFORMED_JSON": "Treść żądania nie jest poprawnym JSON-em.",
    "MALFORMED_JSON.reason": "Treść żądania nie jest poprawnym JSON-em.",
    "INVALID_CURSOR": "Nieprawidłowy kursor; zacznij od początku listy.",
    "UNEXPECTED_BODY": "To żądanie nie przyjmuje treści.",
    "UNAUTHENTICATED": "Najpierw się zaloguj: brak tokenu, jest nieprawidłowy lub wygasł.",
    "UNAUTHENTICATED.account_gone": "To konto już nie istnieje.",
    "TOKEN_EXPIRED": "Sesja wygasła. Zaloguj się ponownie.",
    "INVALID_CREDENTIALS": "Nieprawidłowy e-mail lub hasło.",
    "INVALID_CREDENTIALS.login_gone": "Konto, które się zalogowało, już nie istnieje.",
    "INVALID_CREDENTIALS.login_used": "To logowanie aktywowało już POS; zaloguj się ponownie, aby aktywować kolejny.",
    "INVALID_PIN": "Nieprawidłowy PIN.",
    "DEVICE_DEACTIVATED": "Ten POS został dezaktywowany w Panelu Administracyjnym; zaloguj się i aktywuj POS ponownie.",
    "DEVICE_DELETED": "Ten POS został usunięty w Panelu Administracyjnym.",
    "PAIRING_CODE_INVALID": "Ten kod parowania jest nieprawidłowy, wygasł lub został już użyty; wygeneruj nowy kod "
                            "w Panelu Administracyjnym.",
    "NO_FINAL_SYNC": "Ten POS nie ma otwartej synchronizacji końcowej.",
    "FORBIDDEN": "Twoja rola na to nie pozwala.",
    "FORBIDDEN.role": "Tylko właściciel lub kierownik może {action}.",
    "FORBIDDEN.owner_only": "Tylko właściciel może {action}.",
    "FORCE_OWNER_ONLY": "Tylko właściciel może wymusić usunięcie.",
    "WRONG_STORE": "Ten pracownik nie pracuje w sklepie tego POS.",
    "NOT_FOUND": "Nie znaleziono.",
    "NOT_FOUND.store": "Nie ma sklepu o tym identyfikatorze.",
    "NOT_FOUND.employee": "Nie ma pracownika o tym identyfikatorze.",
    "NOT_FOUND.pos_device": "Nie ma POS o tym identyfikatorze.",
    "NOT_FOUND.receipt": "Nie ma paragonu o tym numerze.",
    "NOT_FOUND.open_finding": "Nie znaleziono otwartego wyniku audytu o tym identyfikatorze.",
    "FINDING_RESOLVES_ITSELF": "Ten wynik audytu zniknie sam, gdy zgłoszony problem zostanie usunięty; potwierdzić można tylko pozostawioną otwartą zmianę.",
    "NO_DELETION": "Ten POS nie jest usuwany; usuń POS, aby zacząć.",
    "CONFLICT": "Żądanie jest sprzeczne z obecnym stanem.",
    "ILLEGAL_TRANSITION": "POS o statusie „{status}” nie może: {action}.",
    "ILLEGAL_TRANSITION.DEVICE_DELETED": "Ten POS został usunięty.",
    "DELETION_IN_PROGRESS": "Ten POS jest właśnie usuwany.",
    "SLOT_TAKEN": "Ten POS jest już aktywowany na innym urządzeniu; najpierw go dezaktywuj.",
    "NOT_ACTIVATED": "Ten POS nie został aktywowany, więc nie można go dezaktywować.",
    "ALREADY_INACTIVE": "Ten POS jest już nieaktywny.",
    "STILL_ACTIVATED": "Przed usunięciem dezaktywuj POS.",
    "STILL_ACTIVATED.move": "Przed przeniesieniem do innego sklepu dezaktywuj POS.",
    "NAME_TAKEN": "Inny POS w tym sklepie nazywa się już „{name}”; wybierz inną nazwę.",
    "NAME_TAKEN.store": "Inny sklep nazywa się już „{name}”; wybierz inną nazwę.",
    "EDIT_CONFLICT": "W międzyczasie ktoś to zmienił; odśwież stronę i spróbuj ponownie.",
    "EDIT_CONFLICT.retry": "POS zmienił się w międzyczasie kilka razy; spróbuj ponownie.",
    "EMAIL_TAKEN": "Ten e-mail jest już używany przez inne konto.",
    "PIN_TAKEN": "Ten PIN ma już inny pracownik.",
    "STORE_HAS_POS_DEVICES": "Najpierw usuń urządzenia POS tego sklepu lub przenieś je do innego sklepu.",
    "OWNER_ROLE_FIXED": "Nie można zmienić roli właściciela.",
    "OWNER_CANNOT_BE_DELETED": "Nie można usunąć właściciela.",
    "ONE_OWNER": "Konto ma jednego właściciela.",
    "UNKNOWN_STORE": "Nie ma sklepu o tym identyfikatorze.",
    "UNKNOWN_STORE.ids": "Nieznane sklepy: {ids}.",
    "INVALID_RECEIPT_NUMBER": "„{number}” nie jest numerem paragonu; numer ma postać „<numer POS>-<kolejny>”, "
                              "np. „2-17”.",
    # paragony odrzucone przy synchronizacji
    "INVALID_RECEIPT": "{field}: {reason}",
    "WRONG_POS_NUMBER": "Numery paragonów tego POS zaczynają się od „{expected}-”, a nie „{got}-”.",
    "RECEIPT_WRITTEN_OFF": "Paragon {number} należy do wcześniejszej aktywacji tego POS i został spisany na straty "
                           "przy dezaktywacji; numeracja jest kontynuowana od {next}.",
    "PAYMENTS_MISMATCH": "Płatności nie sumują się do total_money.",
    "RECEIPT_NUMBER_TAKEN": "Numer paragonu {number} ma już inny paragon.",
    "RECEIPT_NUMBER_TAKEN.batch": "Numer paragonu {number} występuje w tej paczce dwa razy.",
    "RECEIPT_ID_REUSED": "Identyfikator paragonu {id} ma już paragon {held_by}; każdy paragon musi mieć własny "
                         "identyfikator.",
    "RECEIPT_ID_REUSED.batch": "Identyfikator paragonu {id} występuje w tej paczce dwa razy, z różnymi numerami; "
                               "każdy paragon musi mieć własny identyfikator.",
    "RECEIPT_NUMBER_RESERVED": "Paragon {number} ma numer niższy niż pierwszy numer tej aktywacji ({first}): niższe "
                               "numery należą do poprzedniego urządzenia tego POS.",
    "RECEIPT_NUMBER_OUT_OF_RANGE": "Numer paragonu {number} za bardzo wyprzedza paragony zapisane na serwerze dla "
                                   "tego POS (do {last}); przyjmowany jest najwyżej numer {highest}.",
    "RECEIPT_OUTSIDE_FINAL_SYNC": "Paragon {number} nie należy do paragonów tego urządzenia (od {first} do {upto}); "
                                  "po dezaktywacji POS to urządzenie może przesłać tylko swoje paragony.",
    "DEVICE_DEACTIVATED.during_sync": "Ten POS został dezaktywowany w trakcie zapisywania paczki; ten paragon nie "
                                      "został zapisany.",
    "SHIFT_NOT_OWNED.installation": "Tę Zmianę otworzyło inne urządzenie tego POS; POS wysyła tylko Zmiany, które "
                                    "sam otworzył.",
    "SHIFT_NOT_OWNED": "Ta Zmiana należy do innego POS; POS wysyła tylko Zmiany, które sam otworzył.",
    "LAST_RECEIPT_NUMBER_OUT_OF_RANGE": "last_receipt_number {reported} za bardzo wyprzedza paragony zapisane na "
                                        "serwerze dla tego POS (do {recorded}); serwer przyjmuje najwyżej {limit} "
                                        "(o {ahead:num} więcej). Podaj numer ostatniego paragonu, który ten POS "
                                        "naprawdę wystawił.",
    "PAYLOAD_TOO_LARGE": "Treść żądania jest za duża.",
    "PAYLOAD_TOO_LARGE.bytes": "Treść żądania jest większa niż {max} bajtów.",
    "BATCH_TOO_LARGE": "Paczka mieści najwyżej {max} paragonów; ta ma {count}. Wyślij resztę w następnej paczce.",
    "TOO_MANY_ATTEMPTS": "Zbyt wiele nieudanych prób; spróbuj ponownie później.",
    "TOO_MANY_ATTEMPTS.login": "Zbyt wiele nieudanych logowań na ten e-mail; spróbuj ponownie za {minutes} "
                               "{minutes:plural:minutę|minuty|minut}.",
    "TOO_MANY_ATTEMPTS.pin": "Zbyt wiele błędnych PIN-ów na tym POS; spróbuj ponownie za {minutes} "
                             "{minutes:plural:minutę|minuty|minut}.",
    "TOO_MANY_ATTEMPTS.pin_employee": "Zbyt wiele błędnych PIN-ów tego pracownika; spróbuj ponownie za {minutes} "
                                      "{minutes:plural:minutę|minuty|minut}.",
    "TOO_MANY_ATTEMPTS.pairing": "Zbyt wiele błędnych kodów parowania; spróbuj ponownie za {minutes} "
                                 "{minutes:plural:minutę|minuty|minut}.",
    "SERVICE_UNAVAILABLE": "Serwer jest teraz zajęty; ponów żądanie.",
    "SERVICE_UNAVAILABLE.creating": "Zbyt wiele urządzeń POS jest tworzonych naraz; spróbuj ponownie.",
    "SERVICE_UNAVAILABLE.receipts": "Nie udało się teraz zapisać paragonów; wyślij paczkę ponownie "
                                    "(paragony już zapisane zostaną policzone jako duplikaty).",
    "SERVICE_UNAVAILABLE.shifts": "Nie udało się teraz zapisać Zmian; wyślij paczkę ponownie.",
    "SERVICE_UNAVAILABLE.no_workflow": "Usuwanie nie jest skonfigurowane (brak STATE_MACHINE_ARN).",
    "SERVICE_UNAVAILABLE.deletion_not_started": "Nie udało się rozpocząć usuwania; spróbuj ponownie.",
    "INTERNAL": "Coś poszło nie tak po naszej stronie; błąd został zapisany.",
    "INVALID_RANGE": "Dolna granica jest większa od górnej.",
    "INVALID_RANGE.created_at": "created_at_min ({min}) jest późniejsze niż created_at_max ({max}); zamień je miejscami.",
    "INVALID_RANGE.sales_days": "Data początkowa ({min}) jest późniejsza niż końcowa ({max}); zamień je miejscami.",
    "RANGE_TOO_LONG": "Podsumowanie obejmuje najwyżej {days} dni; wybierz krótszy okres.",
    "POS_NOT_IN_STORE": "Ten POS nie należy do wybranego sklepu; pomiń jeden z dwóch filtrów.",
    "OWNER_NEEDS_LOGIN": "Właściciel musi mieć e-mail i hasło: bez nich nikt nie zalogowałby się na to konto.",
    "BACK_OFFICE_FORBIDDEN": "Kasjerzy korzystają tylko z aplikacji POS; zaplecze jest dla właścicieli i kierowników.",
    "UNAUTHENTICATED.session_ended": "Ta sesja została zakończona (wylogowanie albo zmiana hasła, e-maila, roli lub sklepów konta); zaloguj się ponownie.",
    "UNKNOWN_EMPLOYEE": "Pracownik {id} nie jest pracownikiem tego konta (nieznany lub usunięty); nie zapisano.",
    "TIMESTAMP_OUT_OF_RANGE": "{field} {value} jest poza przyjmowanym czasem (od {earliest} do {latest}); sprawdź zegar POS.",
    "SHIFT_CLOSED_BEFORE_OPENED": "Zmiana została zamknięta ({closed_at}) przed otwarciem ({opened_at}).",
    "list.or": "{items} lub {last}",
    "NOT_FOUND.path": "Nie ma takiej ścieżki w tym API; zobacz /v1/openapi.json.",
    "METHOD_NOT_ALLOWED": "Ta metoda nie jest dozwolona dla tej ścieżki.",
    "UNSUPPORTED_MEDIA_TYPE": "Wyślij treść jako application/json.",

    # ------------------------------------------------------------ sprawdzanie danych
    "pydantic.missing": "To pole jest wymagane.",
    "pydantic.extra_forbidden": "Nieznane pole; usuń je.",
    "pydantic.string_type": "Musi być tekstem.",
    "pydantic.string_too_short": "Wpisz co najmniej {min_length} {min_length:plural:znak|znaki|znaków}.",
    "pydantic.string_too_long": "Wpisz najwyżej {max_length} {max_length:plural:znak|znaki|znaków}.",
    "pydantic.string_pattern_mismatch": "Zawiera niedozwolone znaki.",
    "pydantic.int_type": "Musi być liczbą całkowitą.",
    "pydantic.int_parsing": "Musi być liczbą całkowitą.",
    "pydantic.int_from_float": "Musi być liczbą całkowitą.",
    "pydantic.bool_type": "Musi być true albo false.",
    "pydantic.bool_parsing": "Musi być true albo false.",
    "pydantic.greater_than_equal": "Musi wynosić co najmniej {ge}.",
    "pydantic.less_than_equal": "Może wynosić najwyżej {le}.",
    "pydantic.greater_than": "Musi być większe niż {gt}.",
    "pydantic.less_than": "Musi być mniejsze niż {lt}.",
    "pydantic.literal_error": "Dozwolone wartości: {expected}.",
    "pydantic.enum": "Dozwolone wartości: {expected}.",
    "pydantic.list_type": "Musi być listą.",
    "pydantic.too_short": "Musi mieć co najmniej {min_length} {min_length:plural:pozycję|pozycje|pozycji}.",
    "pydantic.too_long": "Może mieć najwyżej {max_length} {max_length:plural:pozycję|pozycje|pozycji}.",
    "pydantic.model_type": "Musi być obiektem.",
    "pydantic.model_attributes_type": "Musi być obiektem.",
    "pydantic.dict_type": "Musi być obiektem.",
    "pydantic.datetime_type": "Musi być datą i godziną ISO 8601, np. 2026-11-24T10:00:00Z.",
    "pydantic.datetime_parsing": "Musi być datą i godziną ISO 8601, np. 2026-11-24T10:00:00Z.",
    "pydantic.datetime_from_date_parsing": "Musi być datą i godziną ISO 8601, np. 2026-11-24T10:00:00Z.",
    "pydantic.timestamp_zone": "Podaj strefę czasową, np. 2026-11-24T10:00:00Z.",
    "pydantic.time_zone": "Podaj nazwę strefy czasowej IANA, np. Europe/Warsaw.",
    "pydantic.timestamp_range": "Wartość poza zakresem.",
    "pydantic.timestamp_format": "Musi być datą i godziną ISO 8601, np. 2026-11-24T10:00:00Z.",
    "pydantic.value_error.email": "Wpisz poprawny adres e-mail, np. imie@example.com.",

    # ------------------------------------------------------------ słowa wstawiane do innych komunikatów
    "status.NOT_ACTIVATED": "Nie aktywowany",
    "status.ACTIVATED": "Aktywowany",
    "status.INACTIVE": "Nieaktywny",
    "status.DELETED": "Usunięty",
    "action.RENAME": "zmiana nazwy",
    "action.ACTIVATE": "aktywacja",
    "action.SWITCH_USER": "przełączenie użytkownika",
    "action.SYNC": "synchronizacja",
    "action.DEACTIVATE": "dezaktywacja",
    "action.REQUEST_DELETION": "zlecenie usunięcia",
    "action.DELETE": "usunięcie",
    "action.MOVE_STORE": "przeniesienie do innego sklepu",
    "action.log in here": "logować się tutaj",
    "action.manage stores": "zarządzać sklepami",
    "action.acknowledge audit findings": "potwierdzanie wyników audytu",
    "action.manage employees": "zarządzać pracownikami",
    "action.create POS devices": "tworzyć urządzenia POS",
    "action.rename POS devices": "zmieniać nazwy urządzeń POS",
    "action.move POS devices": "przenosić urządzenia POS",
    "action.deactivate POS devices": "dezaktywować urządzenia POS",
    "action.delete POS devices": "usuwać urządzenia POS",
    "action.run the audit": "uruchamiać audyt",
    "action.create pairing codes": "tworzyć kody parowania",
    "action.revoke pairing codes": "unieważniać kody parowania",
    "action.end a final sync": "kończyć synchronizację końcową",

    # ------------------------------------------------------------ bezpieczne usuwanie
    "deletion.route.DELETE": "POS nie jest aktywowany: zostanie usunięty bez sprawdzania.",
    "deletion.route.DEACTIVATE": "Wymuszone przez właściciela: bez sprawdzania; POS zostanie dezaktywowany i usunięty.",
    "deletion.route.CHECKS": "Sprawdzanie otwartych paragonów, Zmiany i niezsynchronizowanych paragonów przed usunięciem.",
    "deletion.step.check_open_tickets": "Sprawdzanie otwartych paragonów.",
    "deletion.step.check_shift_closed": "Sprawdzanie, czy Zmiana jest zamknięta.",
    "deletion.step.all_synced": "Wszystkie paragony są zsynchronizowane.",
    "deletion.step.waiting": "Oczekiwanie na synchronizację {count} {count:plural:paragonu|paragonów|paragonów} "
                             "(oczekiwanie {wait} z {waits}).",
    "deletion.step.deactivate": "Odłączanie aplikacji POS na urządzeniu.",
    "deletion.step.deleted": "Usunięto.",
    "deletion.error.OPEN_TICKETS": "Zamknij {count} {count:plural:otwarty paragon|otwarte paragony|otwartych paragonów} "
                                   "w POS „{name}”, poczekaj na synchronizację i usuń POS ponownie.",
    "deletion.error.SHIFT_OPEN": "Zamknij Zmianę w POS „{name}”, poczekaj na synchronizację i usuń POS ponownie.",
    "deletion.error.RECEIPTS_NOT_SYNCED": "{count} {count:plural:paragon nie jest zsynchronizowany|paragony nie są "
                                          "zsynchronizowane|paragonów nie jest zsynchronizowanych}: {numbers}. "
                                          "Podłącz POS „{name}” do Internetu, aby się zsynchronizował, i usuń go "
                                          "ponownie (albo dezaktywuj go, godząc się na ich utratę).",
    "deletion.error.failed": "Coś poszło nie tak podczas usuwania; POS pozostał bez zmian. Spróbuj ponownie.",
    "deletion.error.not_started": "Nie udało się rozpocząć usuwania; spróbuj ponownie.",
    "deletion.error.stopped": "Usuwanie nieoczekiwanie się zatrzymało; POS pozostał bez zmian. Usuń go ponownie.",

    # ------------------------------------------------------------ dziennik aktywności
    "event.nobody": "nikt",
    "event.former_employee": "były pracownik",
    "event.deleted_store": "usunięty sklep",
    "event.actor.employee": "{name}",
    "event.actor.pos_device": "Aplikacja POS „{pos}” ({name})",
    "event.actor.system": "System (bezpieczne usuwanie)",
    "event.actor.system.final-sync": "System (synchronizacja końcowa)",
    "event.merchant.created": "Utworzono konto.",
    "event.store.created": "Utworzono sklep „{store}”.",
    "event.store.updated": "Zmieniono dane sklepu „{store}”.",
    "event.store.deleted": "Usunięto sklep „{store}”.",
    "event.employee.created": "Dodano pracownika: {employee}.",
    "event.employee.updated": "Zmieniono dane pracownika: {employee}.",
    "event.employee.deleted": "Usunięto pracownika: {employee}.",
    "event.pos_device.created": "Utworzono POS „{pos}” w sklepie „{store}”.",
    "event.pos_device.renamed": "Zmieniono nazwę POS z „{from}” na „{to}”.",
    "event.pos_device.moved": "Przeniesiono POS „{pos}” ze sklepu „{from_store}” do sklepu „{to_store}”.",
    "event.pos_device.activated": "Aktywowano POS „{pos}” na nowym urządzeniu (zalogowany: {employee}); "
                                  "paragony są dalej numerowane od {next}.",
    "event.pos_device.activated.pairing_code": "Aktywowano POS „{pos}” na nowym urządzeniu kodem parowania "
                                               "(kod wygenerował: {employee}); paragony są dalej numerowane od {next}.",
    "event.pos_device.deactivated.none_lost": "Dezaktywowano POS „{pos}”; nie utracono żadnych paragonów.",
    "event.pos_device.deactivated.lost": "Dezaktywowano POS „{pos}”; utracono {count} "
                                         "{count:plural:niezsynchronizowany paragon|niezsynchronizowane paragony|"
                                         "niezsynchronizowanych paragonów}.",
    "event.pos_device.deactivated.none_lost.by_deletion": "Dezaktywowano POS „{pos}” przed usunięciem; nie "
                                                          "utracono żadnych paragonów.",
    "event.pos_device.deactivated.lost.by_deletion": "Dezaktywowano POS „{pos}” przed wymuszonym usunięciem; "
                                                     "utracono {count} {count:plural:niezsynchronizowany paragon|"
                                                     "niezsynchronizowane paragony|niezsynchronizowanych paragonów}.",
    "event.pos_device.deactivated.final_sync": "Dezaktywowano POS „{pos}” z synchronizacją końcową: stare "
                                               "urządzenie może przesłać swoje paragony do {until:time}"
                                               "{count:if:event.final_sync.owed}.",
    "event.final_sync.owed": "; czekamy jeszcze na {count} {count:plural:niezsynchronizowany paragon|"
                             "niezsynchronizowane paragony|niezsynchronizowanych paragonów}",
    "event.pos_device.final_sync_closed": "Zakończono synchronizację końcową POS „{pos}” ({reason}): odebrano "
                                          "{received} {received:plural:paragon|paragony|paragonów}, utracono {lost}.",
    "event.final_sync.reason.EXPIRED": "minął czas",
    "event.final_sync.reason.SYNCED": "stare urządzenie przesłało wszystko",
    "event.final_sync.reason.ENDED": "na żądanie z Panelu Administracyjnego",
    "event.final_sync.reason.DEACTIVATED": "POS został ponownie dezaktywowany",
    "event.final_sync.reason.DELETED": "POS został usunięty",
    "event.pos_device.pairing_code_created": "Wygenerowano kod parowania dla POS „{pos}”, ważny do {until:time}.",
    "event.pos_device.pairing_code_created.replaced": "Wygenerowano nowy kod parowania dla POS „{pos}”, ważny do "
                                                      "{until:time}; poprzedni kod już nie działa.",
    "event.pos_device.pairing_code_revoked": "Unieważniono kod parowania dla POS „{pos}”; kod już nie działa.",
    "event.pos_device.user_switched": "W POS „{pos}” przełączono użytkownika: {from} → {to}.",
    "event.pos_device.deletion_requested.checks": "Zlecono usunięcie POS „{pos}”; najpierw sprawdzenie otwartych "
                                                  "paragonów, Zmiany i niezsynchronizowanych paragonów.",
    "event.pos_device.deletion_requested.no_checks": "Zlecono usunięcie POS „{pos}”; nie jest aktywowany, więc "
                                                     "nie trzeba niczego sprawdzać.",
    "event.pos_device.deletion_requested.forced": "Zlecono wymuszone usunięcie POS „{pos}”; bez sprawdzania.",
    "event.pos_device.deletion_failed": "Nie usunięto POS „{pos}”: {reason}",
    "event.pos_device.deleted": "Usunięto POS „{pos}”; jego zsynchronizowane paragony i zmiany pozostają.",
    "event.pos_device.deleted.forced": "Usunięto POS „{pos}” (wymuszone); jego zsynchronizowane paragony i zmiany "
                                       "pozostają.",

    # kolumny eksportu CSV
    "csv.receipt_number": "Nr paragonu",
    "csv.created_at": "Data (UTC)",
    "csv.receipt_type": "Rodzaj",
    "csv.pos_device_name": "POS",
    "csv.store": "Sklep",
    "csv.employee": "Pracownik",
    "csv.payment_types": "Rodzaje płatności",
    "csv.total": "Suma",
    "csv.tax": "Podatek",
    "csv.created_at_local": "Data ({zone})",
    "csv.synced_at_local": "Zsynchronizowano ({zone})",
    "receipt_type.SALE": "Sprzedaż",
    "receipt_type.REFUND": "Zwrot",
    "payment_type.CASH": "Gotówka",
    "payment_type.CARD": "Karta",
    "csv.currency": "Waluta",
    "csv.synced_at": "Zsynchronizowano (UTC)",

    # ------------------------------------------------------------ wyniki audytu
    "finding.UNSYNCED_RECEIPTS": "{count} {count:plural:paragon wystawiony|paragony wystawione|paragonów "
                                 "wystawionych} w POS „{name}” {count:plural:nie jest|nie są|nie jest} na serwerze: "
                                 "{numbers}{more:if:finding.more}.",
    "finding.more": " (i jeszcze {more} niewymienionych)",
    "finding.SHIFT_LEFT_OPEN": "Zmiana otwarta {opened_at:time} w POS „{name}” była nadal otwarta, gdy POS został "
                               "{how}; nie zostanie już zamknięta, a gotówka nie została przeliczona.",
    "finding.how.deactivated": "dezaktywowany",
    "finding.how.deleted": "usunięty",
    "finding.DEVICE_SILENT": "POS „{name}” ma otwartą Zmianę, ale nie synchronizował się od {hours} "
                             "{hours:plural:godziny|godzin|godzin}.",
    "finding.SHIFT_OPEN_TOO_LONG": "Zmiana w POS „{name}” jest otwarta od {hours} {hours:plural:godziny|godzin|godzin}; "
                                   "zamknij ją.",
}
