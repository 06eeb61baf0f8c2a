"""One module per `lbtutor` subcommand: add_parser(subparsers) and run(args) -> exit status."""
