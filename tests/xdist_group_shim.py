"""pytest-xdist 3.8's `--dist loadgroup` under pytest 9: the group put back into the node id.

xdist's worker appends "@group" to each marked test's `item._nodeid`; pytest 9
keeps the id in `item._id` and no longer reads `_nodeid`, so the controller
saw no group and spread `xdist_group` tests over every worker (they share
scratch databases, a Redis db, a printer). This hook writes the same suffix
where pytest 9 reads it. It does nothing once xdist writes it itself.
tests/test_xdist_groups.py fails without it.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not getattr(config.option, "loadgroup", False) or not hasattr(config, "workerinput"):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = {
            str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")
        }
        if names and item.nodeid.rfind("@") <= item.nodeid.rfind("]"):
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(sorted(names))}")  # type: ignore[attr-defined]
