// RFC 9497 Appendix A.1.2 (VOPRF mode, ristretto255-SHA512), batch size 1: Blind with the
// vector's blind gives its BlindedElement, Finalize with its EvaluationElement and Proof
// gives its Output, and an altered proof, element or key is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as voprf from '../src/voprf.js';
import { fromHex, toHex } from '../src/bytes.js';

const pkSm = 'c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e';
const vectors = [
  {
    input: '00',
    blind: '64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706',
    blinded: '863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945',
    evaluated: 'aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e',
    proof: 'ddef93772692e535d1a53903db24367355cc2cc78de93b3be5a8ffcc6985dd066d4346421d17bf5117a2a1ff0fcb2a759f58a539dfbe857a40bce4cf49ec600d',
    output: 'b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7da4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c',
  },
  {
    input: '5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a',
    blind: '64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706',
    blinded: 'cc0b2a350101881d8a4cba4c80241d74fb7dcbfde4a61fde2f91443c2bf9ef0c',
    evaluated: '60a59a57208d48aca71e9e850d22674b611f752bed48b36f7a91b372bd7ad468',
    proof: '401a0da6264f8cf45bb2f5264bc31e109155600babb3cd4e5af7d181a2c9dc0a67154fabf031fd936051dec80b0b6ae29c9503493dde7393b722eafdf5a50b02',
    output: '8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6',
  },
];

for (const [i, v] of vectors.entries()) {
  test(`RFC 9497 A.1.2.${i + 1}`, () => {
    const blind = voprf.deserializeScalar(fromHex(v.blind));
    const state = voprf.blind(fromHex(v.input), blind);
    assert.equal(toHex(state.blinded), v.blinded);
    const out = voprf.finalize(fromHex(v.input), state, fromHex(v.evaluated), fromHex(v.proof), fromHex(pkSm));
    assert.equal(toHex(out), v.output);
  });

  test(`RFC 9497 A.1.2.${i + 1}, altered, is refused`, () => {
    const blind = voprf.deserializeScalar(fromHex(v.blind));
    const input = fromHex(v.input);
    const run = (evaluated, proof, pk) => voprf.finalize(input, voprf.blind(input, blind), evaluated, proof, pk);
    for (let byte = 0; byte < 64; byte += 7) {
      const p = fromHex(v.proof);
      p[byte] ^= 1;
      assert.throws(() => run(fromHex(v.evaluated), p, fromHex(pkSm)));
    }
    // Another valid element as the evaluation, or as the key.
    assert.throws(() => run(fromHex(vectors[1 - i].evaluated), fromHex(v.proof), fromHex(pkSm)), /VerifyError/);
    assert.throws(() => run(fromHex(v.evaluated), fromHex(v.proof), fromHex(v.blinded)), /VerifyError/);
    assert.throws(() => run(new Uint8Array(32), fromHex(v.proof), fromHex(pkSm))); // identity
    assert.throws(() => run(fromHex(v.evaluated), fromHex(v.proof), new Uint8Array(32).fill(0xff)));
  });
}
