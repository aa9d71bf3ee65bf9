"""HTTP: schemas, auth, error mapping and one Chalice Blueprint per resource."""
