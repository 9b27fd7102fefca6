"""pytest, one folder per layer of the package (maths, metrics, nets, data, modules, run, report); the checks of
the package as a whole (its layers, its docstrings, its wheel) in run/; shared builders and fixtures in helpers/."""
