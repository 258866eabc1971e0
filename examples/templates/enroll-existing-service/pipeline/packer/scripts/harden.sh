# Nothing to log in with: the image is replaced, never patched in place.
set -eu
export DEBIAN_FRONTEND=noninteractive

# No SSH: the daemon is disabled and masked, and no key stays on the image
# (Packer's temporary key included).
systemctl disable --now ssh.service ssh.socket 2>/dev/null || true
systemctl mask ssh.service ssh.socket
rm -f /root/.ssh/authorized_keys /home/*/.ssh/authorized_keys
rm -f /etc/ssh/ssh_host_*

# The service's own files, baked in.
if [ -d /tmp/image-files ]; then
  rm -f /tmp/image-files/README.md
  cp -R /tmp/image-files/. /
  rm -rf /tmp/image-files
fi
install -d -m 0755 "/var/log/${SERVICE}"

# Nothing of this build left behind.
apt-get clean
rm -rf /var/lib/apt/lists/* /tmp/* /var/tmp/*
cloud-init clean --logs --seed 2>/dev/null || true
truncate -s 0 /etc/machine-id
