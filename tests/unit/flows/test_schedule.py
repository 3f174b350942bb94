"""`popdq serve`'s schedule: a cron expression Prefect cannot run is refused up front."""

import re

import pytest

from flows.schedule import check_cron
from popdq.errors import BadParameter


@pytest.mark.parametrize("cron", ["0 2 * * *", "* * * * *", "*/15 1-5 * * mon-fri", "@daily"])
def test_cron_expressions_prefect_runs_are_accepted(cron: str) -> None:
    check_cron(cron)


@pytest.mark.parametrize("cron", ["not a cron", "", "61 2 * * *", "0 2 * *", "H 2 * * *"])
def test_other_expressions_are_a_bad_parameter_that_names_them(cron: str) -> None:
    with pytest.raises(BadParameter, match=re.escape(f"--cron {cron!r} is not a cron")) as bad:
        check_cron(cron)
    assert bad.value.exit_code == 2
