"""The EC2 emulator of the demo and the end-to-end tests: moto's server, with
one thing moto cannot do by itself, an instance launched in the past.

RunInstances with the instance tag `emulator:launched-days-ago` set to N gives
the new instances a launch time N days ago, so the demo can show instances
that were never rotated. Arguments are moto's server's (-H host -p port).
"""

import sys
from datetime import timedelta

from moto.core.utils import utcnow
from moto.ec2.models.instances import InstanceBackend
from moto.server import main

LAUNCHED_DAYS_AGO = "emulator:launched-days-ago"

_run_instances = InstanceBackend.run_instances


def run_instances(self, *args, **kwargs):
    days = kwargs.get("tags", {}).get("instance", {}).get(LAUNCHED_DAYS_AGO)
    reservation = _run_instances(self, *args, **kwargs)
    if days:
        for instance in reservation.instances:
            instance.launch_time = utcnow() - timedelta(days=float(days))
    return reservation


InstanceBackend.run_instances = run_instances

if __name__ == "__main__":
    main(sys.argv[1:])
