/**
 * Where Entra ID sign-in happens: the part of `GraphEndpoints` (src/graph/graph-endpoints.ts) the
 * credentials need, declared here so identity does not depend on the Graph folder.
 */
export interface SignInEndpoints {
  authorityHost: string;
  /** True when sign-in goes to a host Entra ID's instance discovery does not know (the simulator). */
  customAuthority: boolean;
}
