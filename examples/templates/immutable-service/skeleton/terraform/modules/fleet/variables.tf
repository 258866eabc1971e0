variable "service" {
  type = string
}

variable "image_id" {
  type = string
}

variable "instance_type" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "subnet_ids" {
  type = list(string)
}

variable "load_balancers" {
  type = map(object({
    arn_suffix   = string
    listener_arn = string
    host_header  = string
  }))
}

variable "health_check_path" {
  type = string
}

variable "health_check_port" {
  type = number
}

variable "environments" {
  type = map(object({
    min     = number
    desired = number
    max     = number
  }))
}
