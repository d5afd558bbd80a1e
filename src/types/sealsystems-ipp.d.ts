/** The part of @sealsystems/ipp (an IPP encoder/decoder with the attribute tables of the IPP specs) we use. */
declare module '@sealsystems/ipp' {
  /** Attribute values as the library takes and gives them: 1setOf as arrays, ranges as [low, high],
   *  resolutions as [x, y, 'dpi'], collections as objects; a single value is given back unwrapped. */
  export type IppValue = string | number | boolean | IppValue[] | { [member: string]: IppValue };
  export interface IppMessage {
    version?: string;
    operation?: string;
    statusCode?: string;
    id?: number;
    'operation-attributes-tag'?: Record<string, IppValue>;
    'printer-attributes-tag'?: Record<string, IppValue>;
    [group: string]: unknown;
  }
  /** The library's syntax tables by group ('Printer Description', 'Job Template', …) and attribute name. */
  export const attributes: Record<string, Record<string, IppSyntax>>;
  export interface IppSyntax {
    type: string;
    tag?: number;
    setof?: boolean;
    members?: Record<string, IppSyntax>;
  }
  export function serialize(message: IppMessage): Buffer;
  export function parse(bytes: Buffer): IppMessage;
}
