output "launch_template_id" {
  value = aws_launch_template.service.id
}

output "autoscaling_groups" {
  value = { for environment, group in aws_autoscaling_group.service : environment => group.name }
}

output "target_groups" {
  value = { for environment, group in aws_lb_target_group.service : environment => group.arn }
}
