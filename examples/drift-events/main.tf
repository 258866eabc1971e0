# The drift events of one account and region: EventBridge rules that send
# EC2 state changes and the CloudTrail calls that create drift to an SQS
# queue (with a dead-letter queue), and the policy the portal's role needs
# to read it. Apply once per account and region, and name each queue in
# immutableInfra.events (docs/configuration.md, docs/operations.md).
#
# CloudTrail's management events reach EventBridge only where a trail
# records them (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html);
# EC2 state changes always do
# (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html).

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "name" {
  description = "Prefix of the queues and rules."
  type        = string
  default     = "immutable-infra-drift-events"
}

variable "portal_role_name" {
  description = "The IAM role the portal's backend runs as; the read policy is attached to it. Empty: not attached."
  type        = string
  default     = ""
}

variable "max_receive_count" {
  description = "Receives of a message whose processing fails before it moves to the dead-letter queue."
  type        = number
  default     = 5
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.name}-dlq"
  message_retention_seconds = 1209600 # 14 days, to look at what failed
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "events" {
  name = var.name
  # Longer than the consumer takes on a batch (its resyncs), so no second
  # reader receives a message while the first still works on it.
  visibility_timeout_seconds = 120
  # The periodic sync is the backstop: an event older than a day adds nothing.
  message_retention_seconds = 86400
  receive_wait_time_seconds = 20
  sqs_managed_sse_enabled   = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.max_receive_count
  })
}

# EventBridge may send to the queue, from these rules only.
resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeRules"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.events.arn
      Condition = {
        ArnEquals = {
          "aws:SourceArn" = [
            aws_cloudwatch_event_rule.state_changes.arn,
            aws_cloudwatch_event_rule.api_calls.arn,
          ]
        }
      }
    }]
  })
}

resource "aws_cloudwatch_event_rule" "state_changes" {
  name        = "${var.name}-state-changes"
  description = "EC2 instance state changes, for the portal's drift events"
  event_pattern = jsonencode({
    source        = ["aws.ec2"]
    "detail-type" = ["EC2 Instance State-change Notification"]
  })
}

resource "aws_cloudwatch_event_rule" "api_calls" {
  name        = "${var.name}-api-calls"
  description = "CloudTrail calls that create drift, for the portal's drift events"
  event_pattern = jsonencode({
    source        = ["aws.ec2", "aws.autoscaling", "aws.ssm"]
    "detail-type" = ["AWS API Call via CloudTrail"]
    detail = {
      eventSource = ["ec2.amazonaws.com", "autoscaling.amazonaws.com", "ssm.amazonaws.com"]
      eventName = [
        "AuthorizeSecurityGroupIngress",
        "ModifyInstanceAttribute",
        "ModifyInstanceMetadataOptions",
        "RunInstances",
        "CreateLaunchTemplateVersion",
        "ModifyLaunchTemplate",
        "UpdateAutoScalingGroup",
        "StartSession",
      ]
    }
  })
}

resource "aws_cloudwatch_event_target" "state_changes" {
  rule = aws_cloudwatch_event_rule.state_changes.name
  arn  = aws_sqs_queue.events.arn
}

resource "aws_cloudwatch_event_target" "api_calls" {
  rule = aws_cloudwatch_event_rule.api_calls.name
  arn  = aws_sqs_queue.events.arn
}

# What the portal's backend needs: read and delete the queue's messages, and
# look up a security group's instances and a new instance's tags.
resource "aws_iam_policy" "portal_read" {
  name        = "${var.name}-read"
  description = "The portal's drift events consumer"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "ReadDriftEvents"
        Effect = "Allow"
        Action = [
          "sqs:ReceiveMessage",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
        ]
        Resource = aws_sqs_queue.events.arn
      },
      {
        Sid      = "LookUpInstances"
        Effect   = "Allow"
        Action   = ["ec2:DescribeInstances"]
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "portal_read" {
  count      = var.portal_role_name == "" ? 0 : 1
  role       = var.portal_role_name
  policy_arn = aws_iam_policy.portal_read.arn
}

output "queue_url" {
  description = "immutableInfra.events.queueUrl (or one entry of immutableInfra.events.queues)"
  value       = aws_sqs_queue.events.url
}

output "dead_letter_queue_url" {
  value = aws_sqs_queue.dead_letter.url
}

output "account_and_region" {
  value = "${data.aws_caller_identity.current.account_id} ${data.aws_region.current.name}"
}
