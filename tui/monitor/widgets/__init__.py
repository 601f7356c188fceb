"""The monitor's widgets: charts, the log pane and the panels around them."""
