from searchlab.cli import main

raise SystemExit(main())
