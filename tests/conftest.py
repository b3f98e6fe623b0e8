"""Every result built during the tests is validated against its typed model
(:mod:`riskengine.io.documents`): an undeclared or mistyped field fails the test that made it.
Subprocesses (the CLI, the service) inherit the setting."""

import os

from riskengine.io.documents import CHECK_ENV

os.environ[CHECK_ENV] = "1"
