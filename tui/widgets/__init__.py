"""Reusable pieces of the wizard: bound form rows, the step sidebar, the help panel and the findings list."""
