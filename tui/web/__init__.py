"""`ft-tui serve`: the same wizard and monitor as a web page, through Textual's textual-serve."""
