"""REST API v1: schemas, routers and the service between them and the engine."""
