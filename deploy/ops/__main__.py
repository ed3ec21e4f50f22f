from deploy.ops.cli import main

raise SystemExit(main())
