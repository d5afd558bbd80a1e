import { DocumentLinks } from '../../../sandbox/simulator/document-content';

describe("the simulator's pre-authenticated document links", () => {
  it('serve the content without a token, refuse one, and expire', () => {
    let now = 1_000;
    const links = new DocumentLinks(60_000, () => now);
    const token = links.create(Buffer.from('%PDF-1.7'), 'application/pdf').split('/').pop()!;
    expect(links.answer(token, undefined)).toEqual({
      status: 200,
      contentType: 'application/pdf',
      body: Buffer.from('%PDF-1.7'),
    });
    expect(links.answer(token, 'Bearer x').status).toBe(400);
    expect(links.answer('unknown', undefined).status).toBe(404);
    now += 60_000;
    expect(links.answer(token, undefined)).toMatchObject({ status: 403, body: expect.stringMatching(/expired/) });
  });
});
