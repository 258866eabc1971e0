# The fleet of ${{ values.name }}: per region, one launch template and, per
# environment, an Auto Scaling group pinned to a numbered template version,
# a target group and the alarms its rollouts watch. Rollouts (Immutable
# Infra) make new template versions and move the groups' capacity;
# Terraform leaves those alone.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40.0"
    }
  }
}
{% for region in values.regions %}
provider "aws" {
  alias  = "${{ region | replace("-", "_") }}"
  region = "${{ region }}"
}

module "fleet_${{ region | replace("-", "_") }}" {
  source = "./modules/fleet"
  providers = {
    aws = aws.${{ region | replace("-", "_") }}
  }

  service           = var.service
  image_id          = var.image_ids["${{ region }}"]
  instance_type     = var.instance_type
  vpc_id            = var.networks["${{ region }}"].vpc_id
  subnet_ids        = var.networks["${{ region }}"].subnet_ids
  load_balancers    = var.load_balancers["${{ region }}"]
  health_check_path = var.health_check_path
  health_check_port = var.health_check_port
  environments      = var.environments
}
{% endfor %}
