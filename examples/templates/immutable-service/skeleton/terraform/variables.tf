variable "service" {
  type        = string
  description = "The service: its image family, the prefix of its resources, the tag that finds its instances."
  default     = "${{ values.name }}"
}

variable "image_ids" {
  type        = map(string)
  description = "By region, the AMI the fleet starts from: the current version of ${{ values.name }} (later versions arrive by rollouts)."
}

variable "instance_type" {
  type    = string
  default = "${{ values.instanceType }}"
}

variable "networks" {
  type = map(object({
    vpc_id     = string
    subnet_ids = list(string)
  }))
  description = "By region, the VPC and subnets the fleet runs in."
}

variable "load_balancers" {
  type = map(map(object({
    arn_suffix   = string
    listener_arn = string
    host_header  = string
  })))
  description = "By region and environment, the application load balancer that serves the environment: its ARN suffix (for the alarms), the listener and the host name routed to the fleet."
}

variable "health_check_path" {
  type    = string
  default = "${{ values.healthCheckPath }}"
}

variable "health_check_port" {
  type    = number
  default = ${{ values.healthCheckPort }}
}

variable "environments" {
  type = map(object({
    min     = number
    desired = number
    max     = number
  }))
  description = "By environment, the group's minimum, desired and maximum capacity."
  default = {
{%- for fleet in values.fleets %}
    ${{ fleet.environment }} = { min = ${{ fleet.min }}, desired = ${{ fleet.desired }}, max = ${{ fleet.max }} }
{%- endfor %}
  }
}
