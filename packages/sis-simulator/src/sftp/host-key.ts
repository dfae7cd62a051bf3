/**
 * The SFTP peer's host key. Fixed on purpose (so clients can pin its fingerprint across runs)
 * and public on purpose: it identifies a loopback test server and protects nothing.
 */
export const SIMULATOR_HOST_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz
c2gtZWQyNTUxOQAAACCZnOH94ueVRclLgxfEwwGVggVtYuhE6tv2Jklc793L1QAA
AKCtSQ+irUkPogAAAAtzc2gtZWQyNTUxOQAAACCZnOH94ueVRclLgxfEwwGVggVt
YuhE6tv2Jklc793L1QAAAEDP42xzYqbZhvXjgOeJmTAmmCQR4I8qWl0SUayTfudB
hZmc4f3i55VFyUuDF8TDAZWCBW1i6ETq2/YmSVzv3cvVAAAAFnNpcy1zaW11bGF0
b3IgaG9zdCBrZXkBAgMEBQYH
-----END OPENSSH PRIVATE KEY-----
`;
