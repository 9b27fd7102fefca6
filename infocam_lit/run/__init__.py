"""Running experiments: config schemas, the train / evaluate tasks, sweep jobs, run naming and files,
loggers, progress lines, the run summary and its figures. Built on modules/, data/ and below."""
