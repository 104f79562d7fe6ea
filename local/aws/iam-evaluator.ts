import { runSimulation } from '@cloud-copilot/iam-simulate';

/**
 * Decides, as IAM would, whether a local principal may make a request: the principal's identity
 * policies (from the synthesized template) evaluated by @cloud-copilot/iam-simulate, a maintained
 * evaluator, rather than by matching written here (docs/adr/0020-iam-enforced-locally.md). Same-account
 * calls with no resource policy, as every call a function of this stack makes is.
 */

/** A principal the local stack knows: who it is in AWS's messages, and what it may do. */
export interface LocalPrincipal {
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`, as AWS names a Lambda function's caller. */
  readonly arn: string;
  readonly policies: readonly { readonly name: string; readonly document: unknown }[];
}

/** One authorization question: an action on a resource ARN. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
}

/** The answer, with AWS's wording when refused. */
export type IamDecision = { readonly allowed: true } | { readonly allowed: false; readonly message: string };

/** Evaluates requests of known principals, remembering each answer (policies do not change while the stack runs). */
export class IamEvaluator {
  private readonly decisions = new Map<string, Promise<IamDecision>>();

  constructor(
    private readonly account: string,
    private readonly principals: ReadonlyMap<string, LocalPrincipal>,
  ) {}

  /** The principal an access key id belongs to, or undefined (AWS: the security token is invalid). */
  principalOf(accessKeyId: string): LocalPrincipal | undefined {
    return this.principals.get(accessKeyId);
  }

  /** Allowed only if every request is; the first refusal is the answer, as AWS reports one. */
  async decide(principal: LocalPrincipal, requests: readonly IamRequest[]): Promise<IamDecision> {
    for (const request of requests) {
      const decision = await this.decideOne(principal, request);
      if (!decision.allowed) return decision;
    }
    return { allowed: true };
  }

  private decideOne(principal: LocalPrincipal, { action, resource }: IamRequest): Promise<IamDecision> {
    const key = `${principal.arn} ${action} ${resource}`;
    let decision = this.decisions.get(key);
    if (decision === undefined) {
      decision = this.simulate(principal, action, resource);
      this.decisions.set(key, decision);
    }
    return decision;
  }

  private async simulate(principal: LocalPrincipal, action: string, resource: string): Promise<IamDecision> {
    const result = await runSimulation(
      {
        identityPolicies: principal.policies.map((p) => ({ name: p.name, policy: p.document as never })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: { action, principal: principal.arn, resource: { accountId: this.account, resource }, contextVariables: {} },
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(`The IAM evaluator refused the question ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
    if (result.overallResult === 'Allowed') return { allowed: true };
    // AWS's wording since 2021: it names the principal, the action, the resource and which policy type refused.
    const why =
      result.overallResult === 'ExplicitlyDenied'
        ? `with an explicit deny in an identity-based policy`
        : `because no identity-based policy allows the ${action} action`;
    return { allowed: false, message: `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}` };
  }
}
