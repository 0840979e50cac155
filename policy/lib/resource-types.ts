/**
 * Type tokens the pack looks at. Policies compare `args.type` with these strings instead of
 * importing @pulumi/aws (which the pack does not depend on and which is slow to load); the
 * tokens are the `__pulumiType` of the classes in @pulumi/aws 7.x (node_modules/@pulumi/aws/iam).
 * `aws-native` (Cloud Control) tokens are listed where that provider offers the same thing, so a
 * program cannot step around a rule by switching providers.
 */
export const T = {
  user: "aws:iam/user:User",
  loginProfile: "aws:iam/userLoginProfile:UserLoginProfile",
  accessKey: "aws:iam/accessKey:AccessKey",
  accountAlias: "aws:iam/accountAlias:AccountAlias",
  userGroupMembership: "aws:iam/userGroupMembership:UserGroupMembership",
  groupMembership: "aws:iam/groupMembership:GroupMembership",
  userPolicyAttachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
  userPolicyAttachmentsExclusive: "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
  policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
  userPolicy: "aws:iam/userPolicy:UserPolicy",
  userPoliciesExclusive: "aws:iam/userPoliciesExclusive:UserPoliciesExclusive",
  nativeUser: "aws-native:iam:User",
  nativeUserToGroupAddition: "aws-native:iam:UserToGroupAddition",
  nativeAccessKey: "aws-native:iam:AccessKey",
} as const;

/** IAM Identity Center lives in these provider modules (aws and aws-native). */
export const IDENTITY_CENTER_TYPE_PREFIXES = [
  "aws:ssoadmin/",
  "aws:identitystore/",
  "aws-native:sso:",
  "aws-native:identitystore:",
] as const;

/** The IAM users' resource types and the property that holds the user's name. */
export const USER_NAME_PROPERTY: Readonly<Record<string, string>> = {
  [T.user]: "name",
  [T.nativeUser]: "userName",
};
