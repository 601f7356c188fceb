"""Every rule of the catalog, one module per topic; importing this package registers them all."""
