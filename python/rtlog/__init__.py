"""Read rtlog write-ahead logs from Python.

    import rtlog
    log = rtlog.open("robot-log")
    for r in log.records(producer="joint-0", type="joint_state"):
        print(r.lsn, r.time_ns, r.fields)
    df = log.table("joint_state").to_pandas(index="time")

The reading is done by rtlog's own Rust reader (the native module ``rtlog._rtlog``): damage is
skipped and counted exactly as ``rtlog dump`` skips it (``Log.stats()``, ``Log.damage()``), and
a log that cannot be read raises ``LogError``. See python/README.md.
"""

from ._rtlog import VERSION, LogError, Record, Records
from ._log import Damage, Field, Log, Message, RecordType, Stats, open
from ._table import Table

__version__ = VERSION
__all__ = [
    "Damage",
    "Field",
    "Log",
    "LogError",
    "Message",
    "Record",
    "RecordType",
    "Records",
    "Stats",
    "Table",
    "open",
]
