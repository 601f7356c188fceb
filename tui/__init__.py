"""ft-tui terminal interface: the guided-setup wizard, the live monitor and the `ft-tui` command."""
