"""Use cases, named after what the business does."""
