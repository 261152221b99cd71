from footfall.cli.main import main

raise SystemExit(main())
