"""Request and response schemas (pydantic), one module per resource as the blueprints are: they validate input,
build the responses and generate /v1/openapi.json.

Routes name their models ("SignupIn"); `model(name)` finds one in the modules below (imported, with pydantic, on
the first call: `import app` loads none of them, see chalicelib/api/http.py `schema`). A name is defined once."""
import functools
import importlib

MODULES = ("base", "accounts", "devices", "pos", "records", "integrations")


@functools.cache
def _index() -> dict:
    index: dict = {}
    for name in MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        for attribute, value in vars(module).items():
            if attribute.startswith("_") or getattr(value, "__module__", module.__name__) != module.__name__:
                continue  # private, or imported from elsewhere (pydantic, the domain, another resource)
            if attribute in index and index[attribute] is not value:
                raise RuntimeError(f"schemas: {attribute} is defined twice ({index[attribute]!r}, {value!r})")
            index[attribute] = value
    return index


def model(name: str):
    """The model (or named table, NAMED_SCHEMAS) a route or the document names; KeyError for an unknown name."""
    return _index()[name]
