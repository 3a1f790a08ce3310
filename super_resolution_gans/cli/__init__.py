"""The command lines. Each is a module with `build_parser()` and `main(argv=None) -> int` built
on `common.run_command` (typed errors to exit codes and one-line messages): `infer` today;
`train` and `evaluate` are still top-level modules (`python -m super_resolution_gans.train`)
and can adopt the same skeleton."""
