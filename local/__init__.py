"""The embedded local stack (not deployed): moto, bootstrap, demo data, Lambda bridge, audit timer."""
