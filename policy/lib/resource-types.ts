// The `__pulumiType` of each @pulumi/aws class the pack reads: it does not load @pulumi/aws itself.
export const T = {
  stack: "pulumi:pulumi:Stack",
  user: "aws:iam/user:User",
  loginProfile: "aws:iam/userLoginProfile:UserLoginProfile",
  accessKey: "aws:iam/accessKey:AccessKey",
  serviceSpecificCredential: "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
  sshKey: "aws:iam/sshKey:SshKey",
  signingCertificate: "aws:iam/signingCertificate:SigningCertificate",
  accountAlias: "aws:iam/accountAlias:AccountAlias",
  userGroupMembership: "aws:iam/userGroupMembership:UserGroupMembership",
  groupMembership: "aws:iam/groupMembership:GroupMembership",
  userPolicyAttachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
  groupPolicyAttachment: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
  rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
  userPolicyAttachmentsExclusive: "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
  groupPolicyAttachmentsExclusive: "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
  rolePolicyAttachmentsExclusive: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
  userPolicy: "aws:iam/userPolicy:UserPolicy",
  groupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  userPoliciesExclusive: "aws:iam/userPoliciesExclusive:UserPoliciesExclusive",
  role: "aws:iam/role:Role",
  policy: "aws:iam/policy:Policy",
  organization: "aws:organizations/organization:Organization",
  delegatedAdministrator: "aws:organizations/delegatedAdministrator:DelegatedAdministrator",
  cloudControl: "aws:cloudcontrol/resource:Resource",
  cfnStack: "aws:cloudformation/stack:Stack",
  cfnStackSet: "aws:cloudformation/stackSet:StackSet",
  nativeCfnStack: "aws-native:cloudformation:Stack",
  nativeCfnStackSet: "aws-native:cloudformation:StackSet",
  nativeExtension: "aws-native:index:ExtensionResource",
} as const;

/** IAM Identity Center lives in these provider modules and CloudFormation namespaces. */
export const IDENTITY_CENTER_TYPE_PREFIXES = ["aws:ssoadmin/", "aws:identitystore/"] as const;
export const IDENTITY_CENTER_CFN_PREFIXES = ["AWS::SSO::", "AWS::IdentityStore::"] as const;
