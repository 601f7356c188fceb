"""What the F1 help adds when the app runs in a browser tab (`ft-tui serve`): how the page and a terminal differ."""

BROWSER_HELP = """\
# In a web browser

This page is the same app as `ft-tui` in a terminal, and each browser tab runs its own copy.

- **Keys the browser keeps.** A browser never passes Ctrl+N, Ctrl+T, Ctrl+W (nor Ctrl+Shift+N/T/W, Ctrl+Tab,
  Ctrl+PgUp/PgDn) to a page: they open or close its windows and tabs. So on a wizard step press Alt+N for Next
  instead of Ctrl+N (or reach the Next button with Tab and press Enter, or click it). The other keys of this
  list reach the app while the page has the focus, F1, F5, Ctrl+S and Ctrl+R included (the page keeps them
  from the browser).
- **The mouse** works as in a terminal: click buttons, fields, list rows and the step list; the wheel scrolls.
- **Closing the tab** ends this tab's app: unsaved changes to the config are lost (save first with Ctrl+S). A run
  started here keeps training; open a new tab (or `ft-tui monitor` in a terminal) and press Ctrl+O for the runs
  list to watch it again.
"""
"""Shown by the help dialog only when the app is served to a browser (App.is_web)."""
