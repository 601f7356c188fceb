"""The live training monitor: re-attach to a run, watch its curves and logs, stop it, resume it."""
