/**
 * A manifest as Packer's manifest post-processor writes it, for one build
 * of `imageId` in us-east-1.
 */
export function packerManifest(imageId: string, gitCommit = '4f2a9c1') {
  return {
    builds: [
      {
        name: 'payments',
        builder_type: 'amazon-ebs',
        build_time: 1764000000,
        files: null,
        artifact_id: `us-east-1:${imageId}`,
        packer_run_uuid: 'run-1',
        custom_data: { git_commit: gitCommit },
      },
    ],
    last_run_uuid: 'run-1',
  };
}
