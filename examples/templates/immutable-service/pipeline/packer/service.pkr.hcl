{#- Values are written through hcl(): JSON (a JSON string is an HCL string)
    with "${" and "%{" escaped, so that none ends its string or reads as an
    interpolation or a directive. -#}
{%- macro hcl(value) -%}${{ value | dump | replace("${", "$${") | replace("%{", "%%{") }}{%- endmacro -%}
# The service's golden image: built from the base family's current AMI,
# nothing left on it to log in with, logs shipped off the host.

packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
  }
}

variable "family" {
  type    = string
  default = ${{ hcl(values.family) }}
}

variable "regions" {
  type        = list(string)
  description = "The first builds the image; it is copied to the others."
  default     = ${{ hcl(values.regions) }}
}

variable "instance_type" {
  type    = string
  default = ${{ hcl(values.instanceType) }}
}

variable "base_ami" {
  type        = string
  description = "The base family's channel AMI in the first region, resolved by CI from Immutable Infra."
}

variable "base_image" {
  type        = string
  description = "The base version, <family>@<version>: recorded as the image's parent."
}

variable "git_commit" {
  type = string
}

variable "git_repo" {
  type = string
}

variable "build_url" {
  type = string
}

variable "log_destination" {
  type    = string
  default = ${{ hcl(values.logDestination) }}
}

locals {
  build_time = formatdate("YYYYMMDD-hhmmss", timestamp())
  tags = {
    "immutable-infra:family"       = var.family
    "immutable-infra:parent-image" = var.base_image
    "git:commit"                   = var.git_commit
    "git:repo"                     = var.git_repo
    "build:url"                    = var.build_url
  }
}

source "amazon-ebs" "service" {
  region        = var.regions[0]
  ami_regions   = slice(var.regions, 1, length(var.regions))
  source_ami    = var.base_ami
  instance_type = var.instance_type
  ssh_username  = "ubuntu"
  ami_name      = "${var.family}-${substr(var.git_commit, 0, 12)}-${local.build_time}"

  # Packer's own temporary key pair, deleted after the build; the image
  # keeps no key (see the clean-up provisioner).
  temporary_key_pair_type = "ed25519"

  imds_support = "v2.0"
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  tags          = local.tags
  snapshot_tags = local.tags
  run_tags      = { "immutable-infra:build" = var.family }
}

build {
  sources = ["source.amazon-ebs.service"]

  provisioner "file" {
    source      = "${path.root}/files/"
    destination = "/tmp/image-files"
  }

  provisioner "shell" {
    environment_vars = [
      "LOG_DESTINATION=${var.log_destination}",
      "SERVICE=${var.family}",
    ]
    execute_command = "sudo -E sh -eu '{{ .Path }}'"
    scripts = [
      "${path.root}/scripts/log-shipper.sh",
      "${path.root}/scripts/harden.sh",
    ]
  }

  post-processor "manifest" {
    output     = "packer-manifest.json"
    strip_path = true
    custom_data = {
      git_commit   = var.git_commit
      git_repo     = var.git_repo
      build_url    = var.build_url
      parent_image = var.base_image
    }
  }
}
