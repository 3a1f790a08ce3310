"""The command lines: `infer`, `train` and `evaluate`, each a module with `build_parser()` and
`main(argv=None) -> int` built on `super_resolution_gans.commands.run_command` (typed errors to
exit codes and one-line messages, quiet start-up, `--quiet` / `--verbose` / `--version`); the
`demo` and `batch` packages' `__main__` modules use the same skeleton. Importing them loads no
TensorFlow: the parsers are built from light modules and the bodies import the heavy ones when
they run."""
