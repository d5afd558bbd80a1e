// The unit project's time limit per test (jest's testTimeout is one setting for every project): a
// unit test uses fakes and fake timers, so one that needs more than this is waiting on real I/O.
jest.setTimeout(5000);
