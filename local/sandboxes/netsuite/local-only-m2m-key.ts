/**
 * LOCAL ONLY, NEVER REAL: the RSA key pair of the certificate the local stack's acme-ca NetSuite account
 * (the OAuth 2.0 sandbox) has mapped to its integration, so the local secret can sign client assertions.
 * Checked in on purpose so the local stack and tests start without generating keys; it guards nothing.
 * A real key pair is made with openssl and the private key lives only in the instance's secret
 * (docs/vendors/netsuite.md).
 */
export const LOCAL_NETSUITE_M2M_CERTIFICATE = {
  certificateId: 'local-only-ns-ca-certificate',
  algorithm: 'PS256',
  privateKey: `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDEPZNXh36l5c/6
j6DL8/jLVdy40sX06lqyn5Up8jY8sN46B4fjOSG+GDr/Linc6fMJRlvYQdS8Zu58
OCTczHCM552tdVrR4lc/Z+LdjCcQYkvDUqGR7NR/cmo0Foy0Vs2bTq3yR5r0L+tA
IUO1lgKhEQMKHYdKfNvtr8rWjQw58j/X3FOIr5zqtyhupvfTEijoqY/6W9EgvVB1
AfEHzryH8HJxReYbwQwAmEKwj4Xe3+wDdM58J1sgaEZqgaQnjDKfLI4ktlCV9TZB
HOPRmRyq0XrCgihQc+EeEKqAZA0JINmufuH2B3bw2gu8+QPoOGnbzC6lic3EIXC9
ug/BJjYHAgMBAAECggEACEfm50sm6346nAKikOivJ3lsknoGc3LON/pm83mukzoN
bppxwANhqqFgH/OFPba7lDkdWA9TGE4poyFFYPHZkACYFUE9/1xTPTA3kQzAez8C
nm/mtH8val9cHu2Sq2t8SqDz0yT1Y3eAMFkW/9sgKkbK/4rGcjy5lRqVbx9NlEZT
OkoiB3SfAb0e+IA8GBv9w8ffqXERJQY1kDX7Q0WfENF86c0HLFeHPb4eduNR9puM
ymUSqQwiiIlhk4S9nY/QugCrB2jr9is8Oj5nqxRss+SWeRHL4FsfSpQdW8IOlId4
xhC0RzKNG2hpk3v3RQF0N2QvdOX/zdHGnrFLR/i/XQKBgQDumiWXKeP9cDZw2BLt
VZnHadQyN+cpcndGgCYQSEzuqDxQobMDxEYcT4cFlJbxVVKKnB1yuKyPh/i0gKPY
gQRMlpKyiOqky0pjdUbv7hT8dbahVag/h3/hxYTBo2ACNcuS3DsxYTEa+FLKyj+K
rWxF+piA0TuFVCzDGPSxwySdZQKBgQDSjLAuIS09mYBriAah/nUbNdRyJFONtOfj
UPYH+VPEHQaW+gWsG7VLH/pmt+x3qZR4sJ9Ta9XsEkPGOXJPcOS3/068LJQMhJ7Y
ZgswJxU/g0CtHcWwHlkpcj4/+5JKLl68qJBl10WBslAVfxoLxO+qiS19r4N90fqn
lVHjuuQU+wKBgQCkrHCLLpcygDKimQ4fDPgwP+L6schxu5WEa8dZb3zhLe1KvP7e
96Rnv59xg4bVksx/65ULa1d1TCOi+DGcqBZ+gWFHpOVEzSVPFU7bItcLEnb0TDjt
d6gT+w1P02DcxaH1fte/kdOhSIdjfEh0fpJ+jaCZL07ECz9Fe0DOOt9XXQKBgHs6
ll7ZUhYsgkntWhxzxmx/i/CmLDTS/alAmE7AcXNlnZa9jJZXvTrT44U8/mxm1xvw
G8ACbDj306zvsGSoaWT7S0S9PoU5FZMH3mJ3bWs30aHAvBRBHuQwFhjyj4NVMmNu
sNy6Ktcm2tJKCp96yt7f3L0j/WylefOdZElJ9/YDAoGBAIvR3PYYnyO2Y5yEevFQ
3QsyD6pmc3r0bxIkRJtbthJoz8EAPN4qE66XGcfVFuattl6sqx/MN33PAKUiak2M
n8vZj2Xf//xRP3xIirI18Ed/O02f/bpJ39ykdE7/lFnv4TWm76KD8oy6c+Yt+YE9
T4mTuMWFFB6aAk0oSN2KNzlQ
-----END PRIVATE KEY-----
`,
  publicKey: `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxD2TV4d+peXP+o+gy/P4
y1XcuNLF9Opasp+VKfI2PLDeOgeH4zkhvhg6/y4p3OnzCUZb2EHUvGbufDgk3Mxw
jOedrXVa0eJXP2fi3YwnEGJLw1KhkezUf3JqNBaMtFbNm06t8kea9C/rQCFDtZYC
oREDCh2HSnzb7a/K1o0MOfI/19xTiK+c6rcobqb30xIo6KmP+lvRIL1QdQHxB868
h/BycUXmG8EMAJhCsI+F3t/sA3TOfCdbIGhGaoGkJ4wynyyOJLZQlfU2QRzj0Zkc
qtF6woIoUHPhHhCqgGQNCSDZrn7h9gd28NoLvPkD6Dhp28wupYnNxCFwvboPwSY2
BwIDAQAB
-----END PUBLIC KEY-----
`,
} as const;
