// @peculiar/x509 resolves its encoders through tsyringe, which needs the Reflect metadata polyfill
// loaded first: import x509 through this module only.
import 'reflect-metadata';

export { Pkcs10CertificateRequest, Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
