terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

# Only the load balancer reaches the service; no port 22 from anywhere.
resource "aws_security_group" "service" {
  name        = var.service
  description = "${var.service}: the health-checked service port, from the VPC only"
  vpc_id      = var.vpc_id

  ingress {
    description = "service port, from the load balancer"
    from_port   = var.health_check_port
    to_port     = var.health_check_port
    protocol    = "tcp"
    cidr_blocks = [data.aws_vpc.this.cidr_block]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

data "aws_vpc" "this" {
  id = var.vpc_id
}

# No key pair: nobody logs in; a change is a new image.
resource "aws_launch_template" "service" {
  name                   = var.service
  image_id               = var.image_id
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.service.id]
  update_default_version = false

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  tag_specifications {
    resource_type = "instance"
    tags = {
      "immutable-infra:service" = var.service
    }
  }

  lifecycle {
    # Rollouts add versions with new AMIs and move the default version.
    ignore_changes = [image_id, default_version]
  }
}

resource "aws_lb_target_group" "service" {
  for_each = var.environments

  name     = "${var.service}-${each.key}"
  port     = var.health_check_port
  protocol = "HTTP"
  vpc_id   = var.vpc_id

  health_check {
    path                = var.health_check_path
    port                = "traffic-port"
    healthy_threshold   = 2
    unhealthy_threshold = 2
    interval            = 10
    matcher             = "200-299"
  }

  deregistration_delay = 30
}

resource "aws_lb_listener_rule" "service" {
  for_each = var.environments

  listener_arn = var.load_balancers[each.key].listener_arn
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.service[each.key].arn
  }
  condition {
    host_header {
      values = [var.load_balancers[each.key].host_header]
    }
  }
}

resource "aws_autoscaling_group" "service" {
  for_each = var.environments

  name                = "${var.service}-${each.key}"
  min_size            = each.value.min
  desired_capacity    = each.value.desired
  max_size            = each.value.max
  vpc_zone_identifier = var.subnet_ids
  target_group_arns   = [aws_lb_target_group.service[each.key].arn]
  health_check_type   = "ELB"

  launch_template {
    id = aws_launch_template.service.id
    # A number, never $Latest or $Default: a template edit changes nothing
    # until a rollout moves the group.
    version = aws_launch_template.service.latest_version
  }

  tag {
    key                 = "immutable-infra:service"
    value               = var.service
    propagate_at_launch = true
  }

  tag {
    key                 = "environment"
    value               = each.key
    propagate_at_launch = true
  }

  lifecycle {
    # Rollouts pin the group to their version and move its capacity (its
    # limits they put back when they end).
    ignore_changes = [launch_template, desired_capacity]
  }
}

# The alarms rollouts watch: one in ALARM aborts a rollout.
locals {
  alarm_dimensions = {
    for environment in keys(var.environments) : environment => {
      TargetGroup  = aws_lb_target_group.service[environment].arn_suffix
      LoadBalancer = var.load_balancers[environment].arn_suffix
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "target_5xx" {
  for_each = var.environments

  alarm_name          = "${var.service}-${each.key}-5xx"
  alarm_description   = "${var.service} in ${each.key} answers 5xx"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 5
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  dimensions          = local.alarm_dimensions[each.key]
}

resource "aws_cloudwatch_metric_alarm" "unhealthy" {
  for_each = var.environments

  alarm_name          = "${var.service}-${each.key}-unhealthy"
  alarm_description   = "${var.service} in ${each.key} has unhealthy targets"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  dimensions          = local.alarm_dimensions[each.key]
}
