"""Request and response models of the REST API, and the JSON schemas of the OpenAPI document."""
