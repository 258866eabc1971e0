# Ships the host's logs off it, to LOG_DESTINATION:
#   cloudwatch:<log group>  with the Amazon CloudWatch agent;
#   s3:<bucket>[/<prefix>]  with Fluent Bit.
# Nothing is kept only on the host: an instance can be terminated at any time.
set -eu
export DEBIAN_FRONTEND=noninteractive
kind="${LOG_DESTINATION%%:*}"
target="${LOG_DESTINATION#*:}"

case "$kind" in
cloudwatch)
  arch="$(dpkg --print-architecture)"
  curl -fsSLo /tmp/amazon-cloudwatch-agent.deb \
    "https://s3.amazonaws.com/amazoncloudwatch-agent/ubuntu/${arch}/latest/amazon-cloudwatch-agent.deb"
  dpkg -i /tmp/amazon-cloudwatch-agent.deb
  rm -f /tmp/amazon-cloudwatch-agent.deb
  install -d /opt/aws/amazon-cloudwatch-agent/etc
  cat >/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json <<JSON
{
  "agent": { "run_as_user": "root" },
  "logs": {
    "logs_collected": {
      "files": {
        "collect_list": [
          { "file_path": "/var/log/syslog", "log_group_name": "${target}", "log_stream_name": "{instance_id}/syslog" },
          { "file_path": "/var/log/${SERVICE}/*.log", "log_group_name": "${target}", "log_stream_name": "{instance_id}/${SERVICE}" }
        ]
      }
    }
  }
}
JSON
  systemctl enable amazon-cloudwatch-agent
  ;;
s3)
  bucket="${target%%/*}"
  prefix="${target#"$bucket"}"
  curl -fsSL https://raw.githubusercontent.com/fluent/fluent-bit/master/install.sh | sh
  cat >/etc/fluent-bit/fluent-bit.conf <<CONF
[INPUT]
    Name   tail
    Path   /var/log/syslog,/var/log/${SERVICE}/*.log
    Tag    host.*

[OUTPUT]
    Name            s3
    Match           *
    bucket          ${bucket}
    region          $(curl -fsS -H "X-aws-ec2-metadata-token: $(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)" http://169.254.169.254/latest/meta-data/placement/region)
    s3_key_format   ${prefix:-/}${SERVICE}/%Y/%m/%d/\$TAG/%H%M%S-\$UUID.gz
    compression     gzip
CONF
  systemctl enable fluent-bit
  ;;
*)
  echo "unknown log destination kind: $kind (cloudwatch or s3)" >&2
  exit 1
  ;;
esac
