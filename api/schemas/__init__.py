"""marshmallow schemas: what the API reads and writes, one module per resource."""
