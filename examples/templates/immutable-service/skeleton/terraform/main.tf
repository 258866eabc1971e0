{#- Values are written through hcl(): JSON (a JSON string is an HCL string)
    with "${" and "%{" escaped, so that none ends its string or reads as an
    interpolation or a directive. -#}
{%- macro hcl(value) -%}${{ value | dump | replace("${", "$${") | replace("%{", "%%{") }}{%- endmacro -%}
# The service's fleet: per region, one launch template and, per
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
{#- Identifiers cannot be quoted: only letters, digits and "_" of the region. -#}
{%- set id = region | replace(r/[^a-z0-9]/g, "_") %}
provider "aws" {
  alias  = "${{ id }}"
  region = ${{ hcl(region) }}
}

module "fleet_${{ id }}" {
  source = "./modules/fleet"
  providers = {
    aws = aws.${{ id }}
  }

  service           = var.service
  image_id          = var.image_ids[${{ hcl(region) }}]
  instance_type     = var.instance_type
  vpc_id            = var.networks[${{ hcl(region) }}].vpc_id
  subnet_ids        = var.networks[${{ hcl(region) }}].subnet_ids
  load_balancers    = var.load_balancers[${{ hcl(region) }}]
  health_check_path = var.health_check_path
  health_check_port = var.health_check_port
  environments      = var.environments
}
{% endfor %}
