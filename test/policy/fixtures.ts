/** The one good stack for the policy tests and the bench: resources shaped like the program's (index.ts). */
import { addDays, todayUtc } from "../../lib/expiry";
import { BOOTSTRAP_USER_TAGS } from "../../lib/naming";
import { T } from "../../policy/lib/resource-types";
import type { ResourceInput } from "./harness";

export const ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess";

export function goodStack(userName = "mgmt-org-admin"): ResourceInput[] {
  return [
    { type: T.stack, name: "management-bootstrap-dev", props: {} },
    {
      type: T.user,
      name: "bootstrap-user",
      props: {
        name: userName,
        tags: { ...BOOTSTRAP_USER_TAGS, ExpiresOn: addDays(todayUtc(), 30) },
        forceDestroy: true,
      },
    },
    {
      type: T.loginProfile,
      name: "bootstrap-login",
      props: { user: userName, passwordLength: 30, passwordResetRequired: true, pgpKey: "mQENBGR..." },
    },
    {
      type: T.userPolicyAttachment,
      name: "bootstrap-admin",
      props: { user: userName, policyArn: ADMIN_ARN },
    },
    { type: T.accountAlias, name: "alias", props: { accountAlias: "acme-management" } },
    { type: T.accessKey, name: "bootstrap-key", props: { user: userName, pgpKey: "mQENBGR..." } },
  ];
}

/** The stack config the engine gives the pack for a well-configured stack (ConfigureStack). */
export const GOOD_STACK_CONFIG: Record<string, string> = {
  "management-bootstrap:projectName": "acme",
  "management-bootstrap:accountName": "acme-management",
  "aws:region": "us-east-1",
};

/** A 1.3 KB "billion laughs": nine levels of nine aliases each. */
export function aliasBomb(): string {
  let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (const [prev, name] of ["ab", "bc", "cd", "de", "ef", "fg", "gh", "hi"])
    text += `${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]\n`;
  return `${text}Resources:\n  K:\n    Type: AWS::IAM::AccessKey\n    Properties:\n      UserName: ops\n      Tags: *i\n`;
}
