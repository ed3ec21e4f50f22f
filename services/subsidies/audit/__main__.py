"""``python -m services.subsidies.audit verify``: check the audit chain as an operator."""

import sys

from services.subsidies.audit.service import main

sys.exit(main())
