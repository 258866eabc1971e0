{#- Values are written through hcl(): JSON (a JSON string is an HCL string)
    with "${" and "%{" escaped, so that none ends its string or reads as an
    interpolation or a directive. -#}
{%- macro hcl(value) -%}${{ value | dump | replace("${", "$${") | replace("%{", "%%{") }}{%- endmacro -%}
variable "service" {
  type        = string
  description = "The service: its image family, the prefix of its resources, the tag that finds its instances."
  default     = ${{ hcl(values.name) }}
}

variable "image_ids" {
  type        = map(string)
  description = "By region, the AMI the fleet starts from: the service's current version (later versions arrive by rollouts)."
}

variable "instance_type" {
  type    = string
  default = ${{ hcl(values.instanceType) }}
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
  default = ${{ hcl(values.healthCheckPath) }}
}

variable "health_check_port" {
  type    = number
  default = ${{ hcl(values.healthCheckPort) }}
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
    ${{ hcl(fleet.environment) }} = { min = ${{ hcl(fleet.min) }}, desired = ${{ hcl(fleet.desired) }}, max = ${{ hcl(fleet.max) }} }
{%- endfor %}
  }
}
