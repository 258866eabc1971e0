"""The EC2 emulator of the demo and the end-to-end tests: moto's server, with
two things moto cannot do by itself:

- an instance launched in the past: RunInstances with the instance tag
  `emulator:launched-days-ago` set to N gives the new instances a launch time
  N days ago, so the demo can show instances that were never rotated;
- a region the account has not enabled: DescribeInstances in one of
  OPT_IN_REGIONS answers OptInRequired, as AWS does, so the demo can show a
  fleet that cannot be synced.

Arguments are moto's server's (-H host -p port). Should this moto's internals
differ, the server runs without these.
"""

import sys
from datetime import datetime, timedelta

from moto.server import main

LAUNCHED_DAYS_AGO = "emulator:launched-days-ago"
OPT_IN_REGIONS = {"ap-east-1"}


def backdate_instances():
    try:
        from moto.ec2.models.instances import InstanceBackend
    except ImportError as error:
        print(f"emulator: instances will not be backdated ({error})", file=sys.stderr)
        return
    try:
        from moto.core.utils import utcnow
    except ImportError:
        utcnow = datetime.utcnow

    run_instances = InstanceBackend.run_instances

    def backdated_run_instances(self, *args, **kwargs):
        tags = kwargs.get("tags") or {}
        days = tags.get("instance", {}).get(LAUNCHED_DAYS_AGO)
        reservation = run_instances(self, *args, **kwargs)
        if days:
            past = utcnow() - timedelta(days=float(days))
            for instance in reservation.instances:
                # Older moto keeps launch times as ISO strings.
                if isinstance(instance.launch_time, str):
                    instance.launch_time = past.strftime("%Y-%m-%dT%H:%M:%S.000Z")
                else:
                    instance.launch_time = past
        return reservation

    InstanceBackend.run_instances = backdated_run_instances


def refuse_opt_in_regions():
    try:
        from moto.ec2.exceptions import EC2ClientError
        from moto.ec2.responses.instances import InstanceResponse
    except ImportError as error:
        print(f"emulator: every region is enabled ({error})", file=sys.stderr)
        return

    describe_instances = InstanceResponse.describe_instances

    def describe_enabled_instances(self, *args, **kwargs):
        if self.region in OPT_IN_REGIONS:
            raise EC2ClientError(
                "OptInRequired",
                f"You are not subscribed to this service in {self.region}: "
                "enable the region for the account first.",
            )
        return describe_instances(self, *args, **kwargs)

    InstanceResponse.describe_instances = describe_enabled_instances


if __name__ == "__main__":
    backdate_instances()
    refuse_opt_in_regions()
    main(sys.argv[1:])
